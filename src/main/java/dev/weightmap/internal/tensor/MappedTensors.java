// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.tensor;

import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.tensor.Tensor;

/**
 * The library's own access to the file region a {@link Tensor} carries, which the public API does not show: the
 * formats that map a file attach its {@link MappedRegion} to the tensors they build ({@link #mapped}), every view
 * of such a tensor keeps it, and the writers and hashers read it back ({@link #regionOf}) to copy the bytes from
 * the file inside the kernel or by positional reads and to name the file in their messages.
 *
 * <p>{@link Tensor} hands its accessor over once, when the class is initialized (any caller here already holds a
 * tensor, so the class is initialized before the first call).
 */
public final class MappedTensors {
    /** What {@link Tensor} lets this class do with a tensor's region. */
    public interface Access {
        /**
         * The same view with a region attached.
         *
         * @param t the tensor
         * @param r the region of the mapping its storage is a slice of
         * @return the tensor carrying {@code r}
         */
        Tensor withRegion(Tensor t, MappedRegion r);

        /**
         * The region a tensor carries.
         *
         * @param t the tensor
         * @return its region, or null
         */
        MappedRegion regionOf(Tensor t);
    }

    private static volatile Access access;

    private MappedTensors() {
    }

    /**
     * Called once by {@link Tensor}'s class initializer.
     *
     * @param a the accessor
     * @throws IllegalStateException when an accessor is already installed
     */
    public static synchronized void install(Access a) {
        if (access != null) {
            throw new IllegalStateException("the tensor accessor is already installed");
        }
        access = a;
    }

    private static Access access() {
        return access;
    }

    /**
     * {@code t} carrying the region of the mapping its storage is a slice of.
     *
     * @param t      a tensor over (a slice of) {@code region}'s mapping
     * @param region the region, or null (then {@code t} is returned as it is)
     * @return the tensor carrying {@code region}
     */
    public static Tensor mapped(Tensor t, MappedRegion region) {
        return region == null ? t : access().withRegion(t, region);
    }

    /**
     * The region a tensor carries.
     *
     * @param t a tensor
     * @return the region of the mapped file its storage is a slice of, or null when none is known
     */
    public static MappedRegion regionOf(Tensor t) {
        return access().regionOf(t);
    }
}
