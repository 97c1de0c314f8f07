export * from './merkle';
export * from './checkpoint';
export * from './log-auditor';
export * from './audit-scan';
export * from './checkpoint-store';
export * from './checkpoint-writer';
export * from './audit-with-checkpoints';
export * from './bundle-writer';
