// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version, read from {@code version.properties}, which the build fills in from the pom. */
final class Version {
    private Version() {
    }

    /** The version the build wrote, or {@code "unknown"} when the classes were not built by Maven or the file cannot be read. */
    static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "").strip();
            return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
