// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

/** Prints whether this process's stderr is a terminal and its width, as {@link Terminal} finds out; run in a child JVM by tests. */
public final class TerminalProbe {
    private TerminalProbe() {
    }

    /**
     * Prints {@code stderr-terminal=true} or {@code stderr-terminal=false}, then {@code stderr-columns=N}.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.println("stderr-terminal=" + Terminal.stderrIsTerminal());
        System.out.println("stderr-columns=" + Terminal.columns(Terminal.STDERR));
    }
}
