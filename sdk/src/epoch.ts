/**
 * Reward epochs: epoch = floor((timestamp - genesisTime) / epochLength). A batch never spans two
 * epochs. Readings stamped before genesis belong to no epoch and are refused upstream.
 */
export interface EpochConfig {
  /** Unix seconds at which epoch 0 starts. */
  genesisTime: bigint;
  /** Epoch length in seconds (> 0). */
  epochLength: bigint;
}

export function epochOf(cfg: EpochConfig, timestamp: bigint): bigint {
  if (cfg.epochLength <= 0n) throw new RangeError(`epochLength must be positive, got ${cfg.epochLength}`);
  if (timestamp < cfg.genesisTime) throw new RangeError(`timestamp ${timestamp} is before genesis ${cfg.genesisTime}`);
  return (timestamp - cfg.genesisTime) / cfg.epochLength;
}
