// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";

/// @title RewardEmission
/// @notice See {IRewardEmission}. Holds MINTER_ROLE on the reward token.
contract RewardEmission is IRewardEmission, AccessControl, Pausable {
    /// @notice Role of the rewards distributor, which mints each ended epoch once.
    bytes32 public constant DISTRIBUTOR_ROLE = keccak256("DISTRIBUTOR_ROLE");
    /// @notice Role that may pause minting (a fast-acting guardian; unpausing needs the admin).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint256 internal constant BPS = 10_000;
    /// @dev Fixed-point unit of the decay power: 36 decimals keep the rounding error of the power
    /// many orders of magnitude below one basis point of decay, so the curve stays monotone.
    uint256 internal constant RAY = 1e36;

    IRewardToken private immutable _token;
    uint64 private immutable _genesisTime;
    uint64 private immutable _epochLength;

    Segment[] private _segments;
    uint256 private _maxMintPerEpoch;

    struct Minted {
        bool done;
        uint248 amount;
    }

    mapping(uint64 epoch => Minted) private _minted;
    mapping(uint64 wallClockEpoch => uint256) private _mintedDuring;

    /// @notice Constructor parameters.
    struct Config {
        uint64 genesisTime;
        uint64 epochLength;
        uint128 initialEmission;
        uint16 decayFactorBps;
        uint32 decayPeriod;
        uint256 maxMintPerEpoch;
    }

    /// @param admin receives DEFAULT_ADMIN_ROLE and GUARDIAN_ROLE (handed to the timelock and a
    /// guardian multisig at deployment).
    /// @param config epoch clock, first schedule segment (from epoch 0) and breaker limit.
    constructor(IRewardToken token_, address admin, Config memory config) {
        if (config.epochLength == 0) revert EmissionBadParameter("epochLength", 0);
        _token = token_;
        _genesisTime = config.genesisTime;
        _epochLength = config.epochLength;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, admin);
        _addSegment(0, config.initialEmission, config.decayFactorBps, config.decayPeriod);
        _setMaxMintPerEpoch(config.maxMintPerEpoch);
    }

    // ================================================================ minting

    /// @inheritdoc IRewardEmission
    function mintEpoch(uint64 epoch, address to) external onlyRole(DISTRIBUTOR_ROLE) whenNotPaused returns (uint256 amount) {
        uint64 nowEpoch = currentEpoch();
        if (epoch >= nowEpoch) revert EmissionEpochNotEnded(epoch, nowEpoch);
        if (_minted[epoch].done) revert EmissionAlreadyMinted(epoch);

        uint256 scheduled = _emissionFor(epoch);
        uint256 room = _token.cap() - _token.totalSupply();
        amount = scheduled < room ? scheduled : room;

        uint256 total = _mintedDuring[nowEpoch] + amount;
        if (total > _maxMintPerEpoch) revert EmissionBreakerTripped(nowEpoch, total, _maxMintPerEpoch);

        _minted[epoch] = Minted({done: true, amount: uint248(amount)});
        _mintedDuring[nowEpoch] = total;
        emit EpochEmissionMinted(epoch, to, amount, scheduled);
        if (amount > 0) _token.mint(to, amount);
    }

    /// @inheritdoc IRewardEmission
    function emissionFor(uint64 epoch) external view returns (uint256) {
        return _emissionFor(epoch);
    }

    /// @inheritdoc IRewardEmission
    function mintedFor(uint64 epoch) external view returns (bool minted, uint256 amount) {
        Minted storage m = _minted[epoch];
        return (m.done, m.amount);
    }

    /// @inheritdoc IRewardEmission
    function mintedDuring(uint64 epoch) external view returns (uint256) {
        return _mintedDuring[epoch];
    }

    // ================================================================ epoch clock

    /// @inheritdoc IRewardEmission
    function epochOf(uint256 timestamp) public view returns (uint64) {
        if (timestamp < _genesisTime) revert EmissionBeforeGenesis(timestamp, _genesisTime);
        return uint64((timestamp - _genesisTime) / _epochLength);
    }

    /// @inheritdoc IRewardEmission
    function currentEpoch() public view returns (uint64) {
        return epochOf(block.timestamp);
    }

    /// @inheritdoc IRewardEmission
    function epochStart(uint64 epoch) external view returns (uint256) {
        return uint256(_genesisTime) + uint256(epoch) * _epochLength;
    }

    // ================================================================ governance

    /// @inheritdoc IRewardEmission
    function addSegment(
        uint64 startEpoch,
        uint128 initialEmission,
        uint16 decayFactorBps,
        uint32 decayPeriod
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        // Before genesis every epoch is in the future; after it, only epochs after the current.
        uint64 minStart = block.timestamp < _genesisTime ? 0 : currentEpoch() + 1;
        uint64 lastStart = _segments[_segments.length - 1].startEpoch;
        if (lastStart + 1 > minStart) minStart = lastStart + 1;
        if (startEpoch < minStart) revert EmissionSegmentStart(startEpoch, minStart);
        _addSegment(startEpoch, initialEmission, decayFactorBps, decayPeriod);
    }

    /// @inheritdoc IRewardEmission
    function setMaxMintPerEpoch(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxMintPerEpoch(amount);
    }

    /// @inheritdoc IRewardEmission
    function pause() external {
        if (!hasRole(GUARDIAN_ROLE, msg.sender)) _checkRole(DEFAULT_ADMIN_ROLE);
        _pause();
    }

    /// @inheritdoc IRewardEmission
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function genesisTime() external view returns (uint64) {
        return _genesisTime;
    }

    function epochLength() external view returns (uint64) {
        return _epochLength;
    }

    function maxMintPerEpoch() external view returns (uint256) {
        return _maxMintPerEpoch;
    }

    function segmentCount() external view returns (uint256) {
        return _segments.length;
    }

    function segmentAt(uint256 index) external view returns (Segment memory) {
        return _segments[index];
    }

    // ================================================================ internals

    function _emissionFor(uint64 epoch) internal view returns (uint256) {
        uint256 i = _segments.length;
        // Segments are sorted by start and the first starts at 0, so the loop always finds one.
        while (_segments[i - 1].startEpoch > epoch) --i;
        Segment storage s = _segments[i - 1];
        uint256 periods = (epoch - s.startEpoch) / s.decayPeriod;
        return Math.mulDiv(s.initialEmission, _rpow(uint256(s.decayFactorBps) * (RAY / BPS), periods), RAY);
    }

    /// @dev x^n in RAY fixed point by repeated squaring, rounding down; x <= RAY = 1e36, so every
    /// product is at most 1e72 < 2^240 and nothing overflows.
    function _rpow(uint256 x, uint256 n) internal pure returns (uint256 z) {
        z = RAY;
        while (n != 0 && z != 0) {
            if (n & 1 == 1) z = (z * x) / RAY;
            x = (x * x) / RAY;
            n >>= 1;
        }
    }

    function _addSegment(uint64 startEpoch, uint128 initialEmission, uint16 decayFactorBps, uint32 decayPeriod) internal {
        if (decayFactorBps > BPS) revert EmissionBadParameter("decayFactorBps", decayFactorBps);
        if (decayPeriod == 0) revert EmissionBadParameter("decayPeriod", 0);
        _segments.push(Segment({startEpoch: startEpoch, decayFactorBps: decayFactorBps, decayPeriod: decayPeriod, initialEmission: initialEmission}));
        emit ScheduleSegmentAdded(startEpoch, initialEmission, decayFactorBps, decayPeriod);
    }

    function _setMaxMintPerEpoch(uint256 amount) internal {
        _maxMintPerEpoch = amount;
        emit MaxMintPerEpochUpdated(amount);
    }
}
