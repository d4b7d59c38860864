// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RewardToken} from "../rewards/RewardToken.sol";
import {RewardEmission} from "../rewards/RewardEmission.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @dev Deploys RewardEmission behind an ERC1967Proxy, as the Ignition module does.
function deployEmission(
    IRewardToken token,
    address admin,
    RewardEmission.Config memory config
) returns (RewardEmission) {
    bytes memory init = abi.encodeCall(RewardEmission.initialize, (token, admin, config));
    return RewardEmission(address(new ERC1967Proxy(address(new RewardEmission()), init)));
}

/// @dev The few Hardhat/Foundry cheatcodes used here (no forge-std, see TOOLCHAIN notes).
interface Vm {
    function warp(uint256 timestamp) external;
    function assume(bool condition) external pure;
}

/// @notice Fuzz tests of the emission accounting: the curve, the cap, the breaker and the pause.
contract RewardEmissionFuzzTest {
    Vm internal constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint64 internal constant GENESIS = 1_000_000;
    uint64 internal constant EPOCH = 1 days;

    function _deploy(
        uint256 cap,
        uint128 initial,
        uint16 decayBps,
        uint32 period,
        uint256 maxMint
    ) internal returns (RewardToken token, RewardEmission emission) {
        token = new RewardToken("T", "T", cap, address(this));
        emission = deployEmission(
            IRewardToken(address(token)),
            address(this),
            RewardEmission.Config({
                genesisTime: GENESIS,
                epochLength: EPOCH,
                initialEmission: initial,
                decayFactorBps: decayBps,
                decayPeriod: period,
                maxMintPerEpoch: maxMint
            })
        );
        token.grantRole(token.MINTER_ROLE(), address(emission));
        emission.grantRole(emission.DISTRIBUTOR_ROLE(), address(this));
    }

    /// The curve never exceeds its initial emission, never increases, and is flat at 100 %.
    function testFuzz_curveBoundedAndMonotone(uint128 initial, uint16 decayBps, uint32 period, uint64 epoch) public {
        decayBps = uint16(decayBps % 10_001);
        period = period == 0 ? 1 : period;
        epoch = epoch == type(uint64).max ? epoch - 1 : epoch;
        (, RewardEmission emission) = _deploy(type(uint208).max, initial, decayBps, period, type(uint256).max);
        uint256 a = emission.emissionFor(epoch);
        uint256 b = emission.emissionFor(epoch + 1);
        require(a <= initial, "above initial emission");
        require(b <= a, "emission increased");
        if (decayBps == 10_000) require(a == initial && b == initial, "flat curve decayed");
        if (epoch < period) require(a == initial, "first period decayed");
    }

    // State of one mint-sequence run (each fuzz run starts from a fresh copy).
    RewardToken internal _token;
    RewardEmission internal _emission;
    uint256 internal _cap;
    uint256 internal _sum;
    bool internal _paused;

    /// Random sequences of time jumps, mints (any epoch), pauses and breaker changes: supply never
    /// exceeds the cap, equals the sum of what was minted, each epoch is minted at most once and
    /// never above its schedule, no wall-clock epoch mints above the breaker, nothing mints while
    /// paused.
    function testFuzz_mintSequence(
        uint256 seed,
        uint96 capTokens,
        uint64 initialTokens,
        uint16 decayBps,
        uint64 maxMintTokens
    ) public {
        _cap = ((uint256(capTokens) % 1e9) + 1) * 1e18;
        (_token, _emission) = _deploy(
            _cap,
            uint128((uint256(initialTokens) % 1e7) * 1e18),
            uint16(decayBps % 10_001),
            3,
            (uint256(maxMintTokens) % 3e7) * 1e18
        );
        VM.warp(GENESIS);
        for (uint256 step = 0; step < 40; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            _step(seed % 8, seed >> 8);
            require(_token.totalSupply() <= _cap, "supply above cap");
            require(_token.totalSupply() == _sum, "supply differs from mints");
        }
    }

    function _step(uint256 action, uint256 r) internal {
        if (action < 2) {
            VM.warp(block.timestamp + (r % (3 * EPOCH)));
        } else if (action == 2) {
            if (_paused) _emission.unpause();
            else _emission.pause();
            _paused = !_paused;
        } else if (action == 3) {
            _emission.setMaxMintPerEpoch((r % 3e7) * 1e18);
        } else {
            _tryMint(uint64(r % 12));
        }
    }

    function _tryMint(uint64 e) internal {
        uint64 nowEpoch = _emission.currentEpoch();
        (bool before, ) = _emission.mintedFor(e);
        uint256 during = _emission.mintedDuring(nowEpoch);
        try _emission.mintEpoch(e, address(this)) returns (uint256 amount) {
            require(!_paused, "minted while paused");
            require(!before, "minted twice");
            require(e < nowEpoch, "minted an open epoch");
            require(amount <= _emission.emissionFor(e), "minted above schedule");
            require(during + amount <= _emission.maxMintPerEpoch(), "breaker bypassed");
            require(_emission.mintedDuring(nowEpoch) == during + amount, "breaker ledger wrong");
            _sum += amount;
        } catch {
            (bool afterwards, ) = _emission.mintedFor(e);
            require(afterwards == before, "failed mint changed state");
        }
    }
}

/// @notice Invariant test: a handler mints, warps and pauses at random; the token supply stays
/// under the cap and equals the sum of per-epoch mints, each within its schedule.
contract EmissionHandler {
    Vm internal constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    RewardToken public immutable token;
    RewardEmission public immutable emission;
    uint256 public mintedSum;
    uint64 public maxEpochSeen;

    constructor() {
        token = new RewardToken("T", "T", 2_500_000e18, address(this));
        emission = deployEmission(
            IRewardToken(address(token)),
            address(this),
            RewardEmission.Config({
                genesisTime: 0,
                epochLength: 1 days,
                initialEmission: 100_000e18,
                decayFactorBps: 9_000,
                decayPeriod: 2,
                maxMintPerEpoch: 250_000e18
            })
        );
        token.grantRole(token.MINTER_ROLE(), address(emission));
        emission.grantRole(emission.DISTRIBUTOR_ROLE(), address(this));
    }

    function warp(uint32 dt) external {
        VM.warp(block.timestamp + (dt % 3 days));
    }

    function mint(uint8 epoch) external {
        uint64 e = uint64(epoch % 40);
        try emission.mintEpoch(e, address(this)) returns (uint256 amount) {
            mintedSum += amount;
            if (e > maxEpochSeen) maxEpochSeen = e;
        } catch {}
    }

    function togglePause() external {
        if (emission.paused()) emission.unpause();
        else emission.pause();
    }
}

contract RewardEmissionInvariantTest {
    EmissionHandler internal handler;

    function setUp() public {
        handler = new EmissionHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 64
    function invariant_supplyWithinCapAndSchedule() public view {
        RewardToken token = handler.token();
        RewardEmission emission = handler.emission();
        require(token.totalSupply() <= token.cap(), "supply above cap");
        require(token.totalSupply() == handler.mintedSum(), "supply differs from mints");
        uint256 scheduled;
        for (uint64 e = 0; e <= handler.maxEpochSeen(); ++e) {
            (bool done, uint256 amount) = emission.mintedFor(e);
            if (done) {
                require(amount <= emission.emissionFor(e), "epoch above schedule");
                scheduled += amount;
            }
        }
        require(scheduled == handler.mintedSum(), "per-epoch records differ from supply");
        require(emission.mintedDuring(emission.currentEpoch()) <= emission.maxMintPerEpoch(), "breaker exceeded");
    }
}
