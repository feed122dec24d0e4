// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice A bench-only stand-in for the Nexus that publishes many tasks per transaction,
/// each under an address never used before (as every real TaskPublished names a freshly
/// deployed Task contract). MockNexus (spec/contracts) emits one TaskPublished per call;
/// 100k of them would take 100k transactions.
contract FreshTaskNexus {
    /// The exact signature of the deployed Nexus's event.
    event TaskPublished(address task, address source);

    /// @notice Emits `count` TaskPublished of `source`; task `i` is the address
    /// keccak256(salt, i) ends with, so that distinct salts give distinct tasks.
    function publishMany(address source, bytes32 salt, uint256 count) external {
        for (uint256 i = 0; i < count; i++) {
            emit TaskPublished(address(uint160(uint256(keccak256(abi.encode(salt, i))))), source);
        }
    }
}
