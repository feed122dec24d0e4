// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice A bench-only stand-in for the Nexus that changes the status of many tasks in one
/// transaction (bench/fanOut.ts): one TaskStatusChanged per task, all in one block.
/// MockNexus (spec/contracts) emits one per call; a round of 1,000 subscriptions would
/// take 1,000 transactions.
contract FanOutNexus {
    /// The exact signature of the deployed Nexus's event.
    event TaskStatusChanged(address task, uint8 status);

    /// @notice Emits TaskStatusChanged(task, status) for every task, in order.
    function changeStatuses(address[] calldata tasks, uint8 status) external {
        for (uint256 i = 0; i < tasks.length; i++) {
            emit TaskStatusChanged(tasks[i], status);
        }
    }
}
