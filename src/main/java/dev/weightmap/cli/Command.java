// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.util.List;

/** One {@code weightmap} sub-command. */
interface Command {
    /** The name typed on the command line. */
    String name();

    /** One line for the command list. */
    String summary();

    /** The full usage text printed by {@code --help}. */
    String usage();

    /**
     * Runs the command.
     *
     * @return the exit code (0 success, 1 failure)
     * @throws UsageException for a malformed command line (exit code 2)
     */
    int run(Cli cli, List<String> args) throws Exception;
}
