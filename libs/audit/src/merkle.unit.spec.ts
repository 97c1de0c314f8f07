import fc from 'fast-check';
import { consistencyProof, inclusionProof, leafHash, MerkleAccumulator, subtreeRoot } from './merkle';

// Certificate Transparency's reference leaves and the roots of their first n (RFC 6962 test data, also computed
// here with Python's hashlib before pinning).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function leaves(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => leafHash(i.toString(16).padStart(64, '0')));
}

describe('the partition Merkle tree (RFC 9162 §2.1)', () => {
  it("has Certificate Transparency's roots for its reference leaves", () => {
    const ct = CT_LEAVES.map(leafHash);
    CT_ROOTS.forEach((root, i) => expect(subtreeRoot(ct.slice(0, i + 1)).toString('hex')).toBe(root));
    expect(subtreeRoot([]).toString('hex')).toBe(EMPTY_ROOT);
  });

  it('keeps the same root incrementally as over the whole list, at every size', () => {
    const all = leaves(130);
    const accumulator = new MerkleAccumulator();
    expect(accumulator.root().toString('hex')).toBe(EMPTY_ROOT);
    for (let n = 1; n <= all.length; n++) {
      accumulator.append(all[n - 1]);
      expect(accumulator.size).toBe(n);
      expect(accumulator.root().equals(subtreeRoot(all.slice(0, n)))).toBe(true);
    }
  });

  it("gives CT's audit path for leaf 0 of the 8-leaf tree", () => {
    const ct = CT_LEAVES.map(leafHash);
    expect(inclusionProof(ct, 0, 8).map((node) => node.toString('hex'))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });

  it('proves nothing for an empty or equal old tree, and refuses sizes and indices outside the tree', () => {
    const all = leaves(10);
    expect(consistencyProof(all, 0, 10)).toEqual([]);
    expect(consistencyProof(all, 10, 10)).toEqual([]);
    fc.assert(
      fc.property(fc.integer({ min: -3, max: 15 }), fc.integer({ min: -3, max: 15 }), (index, size) => {
        const valid = size >= 1 && size <= 10 && index >= 0 && index < size;
        if (valid) expect(inclusionProof(all, index, size).length).toBeGreaterThanOrEqual(size > 1 ? 1 : 0);
        else expect(() => inclusionProof(all, index, size)).toThrow(RangeError);
      }),
    );
    expect(() => consistencyProof(all, 4, 3)).toThrow(RangeError);
    expect(() => consistencyProof(all, 4, 11)).toThrow(RangeError);
    expect(() => consistencyProof(all, 1.5, 4)).toThrow(RangeError);
  });
});
