declare module "circomlibjs" {
  export interface PoseidonField {
    toObject(v: Uint8Array): bigint;
    e(v: bigint | number | string): Uint8Array;
  }
  export interface Poseidon {
    (inputs: (bigint | number | string)[]): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): unknown[];
  };
}
