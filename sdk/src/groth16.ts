/**
 * Groth16 proof as the snarkjs-generated Solidity verifiers take it. snarkjs's JSON proof holds
 * projective coordinates and G2 points as (c0, c1) pairs; the verifier wants affine points with
 * G2 coordinates in (c1, c0) order (the EIP-197 precompile's encoding).
 */
export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
}

export interface SolidityProof {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
}

export function toSolidityProof(p: SnarkjsProof): SolidityProof {
  return {
    a: [BigInt(p.pi_a[0]), BigInt(p.pi_a[1])],
    b: [
      [BigInt(p.pi_b[0][1]), BigInt(p.pi_b[0][0])],
      [BigInt(p.pi_b[1][1]), BigInt(p.pi_b[1][0])],
    ],
    c: [BigInt(p.pi_c[0]), BigInt(p.pi_c[1])],
  };
}
