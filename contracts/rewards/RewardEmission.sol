// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";

/// @title RewardEmission
/// @notice See {IRewardEmission}. Holds MINTER_ROLE on the reward token.
/// @dev UUPS proxy with ERC-7201 storage: the record of minted epochs must outlive any change of
/// logic (a replacement contract without it could mint an epoch twice). Upgrades are authorised
/// by DEFAULT_ADMIN_ROLE (the timelock).
contract RewardEmission is
    IRewardEmission,
    Initializable,
    AccessControlUpgradeable,
    PausableUpgradeable,
    UUPSUpgradeable
{
    /// @notice Role of the rewards distributor, which mints each ended epoch once.
    bytes32 public constant DISTRIBUTOR_ROLE = keccak256("DISTRIBUTOR_ROLE");
    /// @notice Role that may pause minting (a fast-acting guardian; unpausing needs the admin).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint256 internal constant BPS = 10_000;
    /// @dev Fixed-point unit of the decay power: 36 decimals keep the rounding error of the power
    /// many orders of magnitude below one basis point of decay, so the curve stays monotone.
    uint256 internal constant RAY = 1e36;

    struct Minted {
        bool done;
        uint248 amount;
    }

    /// @custom:storage-location erc7201:depin.storage.RewardEmission
    struct RewardEmissionStorage {
        IRewardToken token;
        uint64 genesisTime;
        uint64 epochLength;
        Segment[] segments;
        uint256 maxMintPerEpoch;
        mapping(uint64 epoch => Minted) minted;
        mapping(uint64 wallClockEpoch => uint256) mintedDuring;
    }

    // keccak256(abi.encode(uint256(keccak256("depin.storage.RewardEmission")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x3cb1185098b4653dde98fb1b5f17ef64f19cbfc0bae39382c6a397a11352f000;

    function _s() private pure returns (RewardEmissionStorage storage $) {
        // ERC-7201: the namespace's fixed slot; nothing else writes there.
        assembly ("memory-safe") {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initialisation parameters.
    struct Config {
        uint64 genesisTime;
        uint64 epochLength;
        uint128 initialEmission;
        uint16 decayFactorBps;
        uint32 decayPeriod;
        uint256 maxMintPerEpoch;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialises the proxy.
    /// @param token_ the reward token (this contract must be granted its MINTER_ROLE).
    /// @param admin receives DEFAULT_ADMIN_ROLE (also authorises upgrades) and GUARDIAN_ROLE
    /// (handed to the timelock and a guardian at deployment).
    /// @param config epoch clock, first schedule segment (from epoch 0) and breaker limit.
    function initialize(IRewardToken token_, address admin, Config calldata config) external initializer {
        __AccessControl_init();
        __Pausable_init();
        if (config.epochLength == 0) revert EmissionBadParameter("epochLength", 0);
        RewardEmissionStorage storage $ = _s();
        $.token = token_;
        $.genesisTime = config.genesisTime;
        $.epochLength = config.epochLength;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, admin);
        _addSegment(0, config.initialEmission, config.decayFactorBps, config.decayPeriod);
        _setMaxMintPerEpoch(config.maxMintPerEpoch);
    }

    /// @dev Upgrades go through governance (the timelock holds DEFAULT_ADMIN_ROLE).
    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    // ================================================================ minting

    /// @inheritdoc IRewardEmission
    function mintEpoch(
        uint64 epoch,
        address to
    ) external onlyRole(DISTRIBUTOR_ROLE) whenNotPaused returns (uint256 amount) {
        RewardEmissionStorage storage $ = _s();
        uint64 nowEpoch = currentEpoch();
        if (epoch >= nowEpoch) revert EmissionEpochNotEnded(epoch, nowEpoch);
        if ($.minted[epoch].done) revert EmissionAlreadyMinted(epoch);

        uint256 scheduled = _emissionFor(epoch);
        IRewardToken token_ = $.token;
        uint256 room = token_.cap() - token_.totalSupply();
        amount = scheduled < room ? scheduled : room;

        uint256 total = $.mintedDuring[nowEpoch] + amount;
        if (total > $.maxMintPerEpoch) revert EmissionBreakerTripped(nowEpoch, total, $.maxMintPerEpoch);

        $.minted[epoch] = Minted({done: true, amount: uint248(amount)});
        $.mintedDuring[nowEpoch] = total;
        emit EpochEmissionMinted(epoch, to, amount, scheduled);
        if (amount > 0) token_.mint(to, amount);
    }

    /// @inheritdoc IRewardEmission
    function emissionFor(uint64 epoch) external view returns (uint256) {
        return _emissionFor(epoch);
    }

    /// @inheritdoc IRewardEmission
    function mintedFor(uint64 epoch) external view returns (bool minted, uint256 amount) {
        Minted storage m = _s().minted[epoch];
        return (m.done, m.amount);
    }

    /// @inheritdoc IRewardEmission
    function mintedDuring(uint64 epoch) external view returns (uint256) {
        return _s().mintedDuring[epoch];
    }

    // ================================================================ epoch clock

    /// @inheritdoc IRewardEmission
    function epochOf(uint256 timestamp) public view returns (uint64) {
        if (timestamp < _s().genesisTime) revert EmissionBeforeGenesis(timestamp, _s().genesisTime);
        return uint64((timestamp - _s().genesisTime) / _s().epochLength);
    }

    /// @inheritdoc IRewardEmission
    function currentEpoch() public view returns (uint64) {
        return epochOf(block.timestamp);
    }

    /// @inheritdoc IRewardEmission
    function epochStart(uint64 epoch) external view returns (uint256) {
        return uint256(_s().genesisTime) + uint256(epoch) * _s().epochLength;
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
        uint64 minStart = block.timestamp < _s().genesisTime ? 0 : currentEpoch() + 1;
        Segment[] storage segments = _s().segments;
        uint64 lastStart = segments[segments.length - 1].startEpoch;
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

    /// @inheritdoc IRewardEmission
    function token() external view returns (address) {
        return address(_s().token);
    }

    /// @inheritdoc IRewardEmission
    function genesisTime() external view returns (uint64) {
        return _s().genesisTime;
    }

    /// @inheritdoc IRewardEmission
    function epochLength() external view returns (uint64) {
        return _s().epochLength;
    }

    /// @inheritdoc IRewardEmission
    function maxMintPerEpoch() external view returns (uint256) {
        return _s().maxMintPerEpoch;
    }

    /// @inheritdoc IRewardEmission
    function segmentCount() external view returns (uint256) {
        return _s().segments.length;
    }

    /// @inheritdoc IRewardEmission
    function segmentAt(uint256 index) external view returns (Segment memory) {
        return _s().segments[index];
    }

    // ================================================================ internals

    function _emissionFor(uint64 epoch) internal view returns (uint256) {
        Segment[] storage segments = _s().segments;
        uint256 i = segments.length;
        // Segments are sorted by start and the first starts at 0, so the loop always finds one.
        while (segments[i - 1].startEpoch > epoch) --i;
        Segment storage s = segments[i - 1];
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

    function _addSegment(
        uint64 startEpoch,
        uint128 initialEmission,
        uint16 decayFactorBps,
        uint32 decayPeriod
    ) internal {
        if (decayFactorBps > BPS) revert EmissionBadParameter("decayFactorBps", decayFactorBps);
        if (decayPeriod == 0) revert EmissionBadParameter("decayPeriod", 0);
        _s().segments.push(
            Segment({
                startEpoch: startEpoch,
                decayFactorBps: decayFactorBps,
                decayPeriod: decayPeriod,
                initialEmission: initialEmission
            })
        );
        emit ScheduleSegmentAdded(startEpoch, initialEmission, decayFactorBps, decayPeriod);
    }

    function _setMaxMintPerEpoch(uint256 amount) internal {
        _s().maxMintPerEpoch = amount;
        emit MaxMintPerEpochUpdated(amount);
    }
}
