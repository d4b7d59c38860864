// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRewardEmission
/// @notice Epoch clock and emission schedule of the reward token, and the only minter.
///
/// Epochs: epoch e covers [genesisTime + e·epochLength, genesisTime + (e+1)·epochLength).
///
/// Schedule: a list of governed segments. A segment starting at epoch s with initial emission
/// E, decay factor f (basis points, <= 10000) and decay period N gives
///     emissionFor(e) = E · (f / 10000) ^ floor((e - s) / N)      for s <= e < next segment start.
/// Governance can only add segments that start after the current epoch, so no emission already
/// earned (current or past epochs) can be changed.
///
/// Circuit breaker: at most `maxMintPerEpoch` tokens may be minted within one wall-clock epoch
/// (whatever past epochs are being paid), and a guardian can pause minting; only the admin
/// (timelock) unpauses. Minting never exceeds the token cap: the last epochs are cut to what the
/// cap leaves.
interface IRewardEmission {
    /// @notice One piece of the emission curve.
    struct Segment {
        uint64 startEpoch;
        uint16 decayFactorBps;
        uint32 decayPeriod;
        uint128 initialEmission;
    }

    error EmissionBeforeGenesis(uint256 timestamp, uint64 genesisTime);
    /// @notice Only ended epochs can be minted.
    error EmissionEpochNotEnded(uint64 epoch, uint64 currentEpoch);
    error EmissionAlreadyMinted(uint64 epoch);
    /// @notice The breaker: minting `amount` now would take this wall-clock epoch's total to
    /// `total`, above `maxMintPerEpoch`.
    error EmissionBreakerTripped(uint64 currentEpoch, uint256 total, uint256 maxMintPerEpoch);
    /// @notice A new segment must start after the current epoch and after the last segment.
    error EmissionSegmentStart(uint64 startEpoch, uint64 minStart);
    /// @notice A governed parameter is out of range (`which` names it).
    error EmissionBadParameter(bytes32 which, uint256 value);

    event EpochEmissionMinted(uint64 indexed epoch, address indexed to, uint256 amount, uint256 scheduled);
    event ScheduleSegmentAdded(
        uint64 indexed startEpoch,
        uint128 initialEmission,
        uint16 decayFactorBps,
        uint32 decayPeriod
    );
    event MaxMintPerEpochUpdated(uint256 maxMintPerEpoch);

    /// @notice Mints the whole emission of ended epoch `epoch` to `to`, once (DISTRIBUTOR_ROLE).
    /// @return amount minted (the schedule's amount, cut only by the token cap).
    function mintEpoch(uint64 epoch, address to) external returns (uint256 amount);

    /// @notice Scheduled emission of `epoch` (before any cap cut).
    function emissionFor(uint64 epoch) external view returns (uint256);

    /// @notice Amount minted for `epoch` and whether it has been minted.
    function mintedFor(uint64 epoch) external view returns (bool minted, uint256 amount);

    /// @notice Total minted during wall-clock epoch `epoch` (what the breaker limits).
    function mintedDuring(uint64 epoch) external view returns (uint256);

    /// @notice Epoch containing `timestamp` (reverts before genesis).
    function epochOf(uint256 timestamp) external view returns (uint64);

    /// @notice Epoch of the current block.
    function currentEpoch() external view returns (uint64);

    /// @notice First second of `epoch`.
    function epochStart(uint64 epoch) external view returns (uint256);

    /// @notice Adds a schedule segment from `startEpoch` on (DEFAULT_ADMIN_ROLE).
    function addSegment(uint64 startEpoch, uint128 initialEmission, uint16 decayFactorBps, uint32 decayPeriod) external;

    /// @notice Sets the breaker limit (DEFAULT_ADMIN_ROLE).
    function setMaxMintPerEpoch(uint256 amount) external;

    /// @notice Stops minting (GUARDIAN_ROLE or DEFAULT_ADMIN_ROLE).
    function pause() external;

    /// @notice Resumes minting (DEFAULT_ADMIN_ROLE only).
    function unpause() external;

    /// @notice The reward token this contract mints.
    function token() external view returns (address);
    /// @notice Start of epoch 0 (unix seconds).
    function genesisTime() external view returns (uint64);
    /// @notice Seconds per epoch.
    function epochLength() external view returns (uint64);
    /// @notice Breaker limit: most that can be minted within one wall-clock epoch.
    function maxMintPerEpoch() external view returns (uint256);
    /// @notice Number of schedule segments.
    function segmentCount() external view returns (uint256);
    /// @notice Schedule segment `index` (sorted by start epoch; the first starts at 0).
    function segmentAt(uint256 index) external view returns (Segment memory);
}
