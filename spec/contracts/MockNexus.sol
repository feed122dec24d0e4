// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice A stand-in for the OpenGPU Nexus contract, for tests and the demo.
/// It declares the six lifecycle events with the exact signatures of the deployed
/// Nexus (enums are uint8 on the wire), a few events the streams must ignore, and
/// functions that emit them: one per event, a scripted lifecycle, batches for
/// ordering tests, and a raw emitter for malformed logs.
contract MockNexus {
    event TaskPublished(address task, address source);
    event Attempted(address task, address provider, uint256 suggestedPayment);
    event ResponseSubmitted(address response, address task);
    event ResponseStatusChanged(address response, uint8 status);
    event TaskStatusChanged(address task, uint8 status);
    event Registered(address provider, uint256 registrantId, address source, uint8 preferredEnvironment);

    // Emitted by the real Nexus too; the six streams must ignore them.
    event SourcePublished(address source);
    event SourceStatusChanged(address source, uint8 status);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    uint256 public registrants;

    // ---- one emitter per event, any argument values -------------------------

    function emitTaskPublished(address task, address source) external {
        emit TaskPublished(task, source);
    }

    function emitAttempted(address task, address provider, uint256 suggestedPayment) external {
        emit Attempted(task, provider, suggestedPayment);
    }

    function emitResponseSubmitted(address response, address task) external {
        emit ResponseSubmitted(response, task);
    }

    function emitResponseStatusChanged(address response, uint8 status) external {
        emit ResponseStatusChanged(response, status);
    }

    function emitTaskStatusChanged(address task, uint8 status) external {
        emit TaskStatusChanged(task, status);
    }

    function emitRegistered(address provider, uint256 registrantId, address source, uint8 env) external {
        emit Registered(provider, registrantId, source, env);
    }

    function emitNoise(address source) external {
        emit SourcePublished(source);
        emit SourceStatusChanged(source, 1);
        emit OwnershipTransferred(msg.sender, source);
    }

    /// @notice Emits a log with one topic and arbitrary data: malformed payloads.
    function emitRaw(bytes32 topic0, bytes calldata data) external {
        bytes memory copy = data;
        assembly {
            log1(add(copy, 0x20), mload(copy), topic0)
        }
    }

    /// @notice Emits `count` TaskStatusChanged logs for `task` in one transaction.
    function emitManyStatuses(address task, uint8 status, uint256 count) external {
        for (uint256 i = 0; i < count; i++) {
            emit TaskStatusChanged(task, status);
        }
    }

    // ---- a scripted lifecycle, shaped like the real contract's ----------------

    function register(address provider, address source, uint8 env) external {
        emit Registered(provider, registrants, source, env);
        registrants += 1;
    }

    function publishTask(address task, address source) external {
        emit TaskPublished(task, source);
        emit TaskStatusChanged(task, 0);
    }

    function attempt(address task, address provider, uint256 suggestedPayment) external {
        emit Attempted(task, provider, suggestedPayment);
        emit TaskStatusChanged(task, 1);
    }

    function submitResponse(address task, address response) external {
        emit ResponseSubmitted(response, task);
        emit ResponseStatusChanged(response, 0);
        emit TaskStatusChanged(task, 2);
    }

    function confirmResponse(address task, address response) external {
        emit ResponseStatusChanged(response, 1);
        emit TaskStatusChanged(task, 5);
    }
}
