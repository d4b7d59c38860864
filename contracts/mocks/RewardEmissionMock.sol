// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RewardTokenMock} from "./RewardTokenMock.sol";

/// @title RewardEmissionMock
/// @notice TEST ONLY. The part of IRewardEmission the distributor uses (epoch clock, mintEpoch,
/// emissionFor), with a settable emission per epoch, standing in for contracts/rewards
/// RewardEmission. Mints a RewardTokenMock it deploys itself.
contract RewardEmissionMock {
    RewardTokenMock private immutable _token;
    uint64 private immutable _genesisTime;
    uint64 private immutable _epochLength;
    uint256 private _defaultEmission;
    mapping(uint64 epoch => uint256) private _emissionOverride;
    mapping(uint64 epoch => bool) private _minted;

    error EmissionEpochNotEnded(uint64 epoch, uint64 currentEpoch);
    error EmissionAlreadyMinted(uint64 epoch);

    constructor(uint64 genesisTime_, uint64 epochLength_, uint256 defaultEmission) {
        _token = new RewardTokenMock(address(this));
        _genesisTime = genesisTime_;
        _epochLength = epochLength_;
        _defaultEmission = defaultEmission;
    }

    function setEmission(uint64 epoch, uint256 amount) external {
        _emissionOverride[epoch] = amount + 1;
    }

    function mintEpoch(uint64 epoch, address to) external returns (uint256 amount) {
        uint64 nowEpoch = currentEpoch();
        if (epoch >= nowEpoch) revert EmissionEpochNotEnded(epoch, nowEpoch);
        if (_minted[epoch]) revert EmissionAlreadyMinted(epoch);
        _minted[epoch] = true;
        amount = emissionFor(epoch);
        if (amount > 0) _token.mint(to, amount);
    }

    function emissionFor(uint64 epoch) public view returns (uint256) {
        uint256 o = _emissionOverride[epoch];
        return o == 0 ? _defaultEmission : o - 1;
    }

    function currentEpoch() public view returns (uint64) {
        return uint64((block.timestamp - _genesisTime) / _epochLength);
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
}
