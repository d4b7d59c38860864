declare module "snarkjs" {
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export type PublicSignals = string[];
  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasmFile: string | Uint8Array,
      zkeyFile: string | Uint8Array,
      logger?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    prove(
      zkeyFile: string | Uint8Array,
      witnessFile: string | Uint8Array,
      logger?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    verify(vk: unknown, publicSignals: PublicSignals, proof: Groth16Proof, logger?: unknown): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: PublicSignals): Promise<string>;
  };
  export const wtns: {
    calculate(
      input: Record<string, unknown>,
      wasmFile: string,
      wtnsFile: string | { type: string },
      logger?: unknown,
    ): Promise<void>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    beacon(
      zkeyOld: string,
      zkeyNew: string,
      name: string,
      beaconHash: string,
      numIterationsExp: number,
      logger?: unknown,
    ): Promise<unknown>;
    contribute(zkeyOld: string, zkeyNew: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    exportVerificationKey(zkey: string, logger?: unknown): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>, logger?: unknown): Promise<string>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<boolean>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: unknown): Promise<unknown>;
    contribute(oldPtau: string, newPTau: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    beacon(
      oldPtau: string,
      newPTau: string,
      name: string,
      beaconHash: string,
      numIterationsExp: number,
      logger?: unknown,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPTau: string, logger?: unknown): Promise<unknown>;
    verify(ptau: string, logger?: unknown): Promise<boolean>;
  };
  export const r1cs: {
    info(
      r1csName: string,
      logger?: unknown,
    ): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number; nPrvInputs: number; nVars: number }>;
  };
  export const curves: { getCurveFromName(name: string): Promise<{ terminate(): Promise<void> }> };
}
