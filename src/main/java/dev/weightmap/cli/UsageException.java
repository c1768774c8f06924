// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

/** A command line that cannot be understood: exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
