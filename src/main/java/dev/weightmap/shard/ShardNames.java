// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.nio.file.Path;

/** Validation of shard names read from an index (hub #4033/#4141), parsed as Windows paths on every OS. */
final class ShardNames {
    private ShardNames() {
    }

    /**
     * Checks one shard name.
     *
     * @throws CheckpointException {@code INVALID_INDEX} for a drive, a root, a {@code ..} component (or an empty
     *                             name / NUL), or a wrong extension
     */
    static void validate(String name, Path index, String expectedExtension) {
        if (!isSafeRelative(name)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid shard filename '" + name
                    + "' in index file '" + index + "'. Shard filenames must be relative paths without '..'"
                    + " components.");
        }
        if (!name.endsWith(expectedExtension)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid shard filename '" + name
                    + "' in index file '" + index + "'. Expected '" + expectedExtension
                    + "' extension to match the index format.");
        }
    }

    static boolean isSafeRelative(String name) {
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            return false;
        }
        if (name.length() >= 2 && name.charAt(1) == ':') {
            return false; // drive (ntpath.splitdrive): "C:x", "C:\\x", also "a:foo"
        }
        char c0 = name.charAt(0);
        if (c0 == '/' || c0 == '\\') {
            return false; // root or UNC
        }
        for (String part : name.split("[/\\\\]", -1)) {
            if (part.equals("..")) {
                return false;
            }
        }
        return true;
    }
}
