export * from './proofs';
export * from './checkpoint';
export * from './bundle';
