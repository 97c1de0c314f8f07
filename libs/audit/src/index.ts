export * from './merkle';
export * from './checkpoint';
export * from './log-auditor';
export * from './audit-scan';
