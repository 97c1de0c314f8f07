export * from './proofs';
export * from './checkpoint';
