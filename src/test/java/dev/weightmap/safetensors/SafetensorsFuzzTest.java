// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Jazzer targets (formats.md A.10 31-32). In {@code mvn test} they run in regression mode over the seeds in
 * {@code src/test/resources/dev/weightmap/safetensors/SafetensorsFuzzTestInputs/}; with {@code JAZZER_FUZZ=1}
 * (or {@code -Pfuzz}) they fuzz for {@code maxDuration}. Only SafetensorsException may escape.
 */
class SafetensorsFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void parse(byte[] data) {
        SafetensorsFile f;
        try {
            f = SafetensorsFile.parse(MemorySegment.ofArray(data), "fuzz");
        } catch (SafetensorsException expected) {
            if (expected.reason() == null || !expected.getMessage().startsWith("fuzz: ")) {
                throw new AssertionError("exception without reason or file name", expected);
            }
            return;
        }
        long covered = f.dataStart();
        for (String name : f.names()) {
            Tensor t = f.tensor(name);
            covered += f.info(name).length();
            if (t.data().byteSize() != t.byteLength()) {
                throw new AssertionError("tensor " + name + " data length mismatch");
            }
            if (!t.dtype().isSubByte() && !t.dtype().isComplex() && t.numel() < 1 << 16) {
                t.toFloatArray();
            }
        }
        if (covered != data.length) {
            throw new AssertionError("tensors cover " + covered + " of " + data.length + " bytes");
        }
    }

    static final SafetensorsFile SLICE_FILE;

    static {
        ByteBuffer b = ByteBuffer.allocate(120 * 4 + 6).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 120; i++) {
            b.putFloat(i);
        }
        SLICE_FILE = TestFiles.parse(TestFiles.image("{\"x\":{\"dtype\":\"F32\",\"shape\":[4,5,6],\"data_offsets\":[0,480]},"
                + "\"f\":{\"dtype\":\"F4\",\"shape\":[3,4],\"data_offsets\":[480,486]}}", java.util.Arrays.copyOf(b.array(), 486)));
    }

    @FuzzTest(maxDuration = "30s")
    void slice(FuzzedDataProvider data) {
        String name = data.consumeBoolean() ? "x" : "f";
        List<SliceIndex> idx = new ArrayList<>();
        int n = data.consumeInt(0, 5);
        for (int i = 0; i < n; i++) {
            switch (data.consumeInt(0, 2)) {
                case 0 -> idx.add(SliceIndex.at(small(data)));
                case 1 -> idx.add(SliceIndex.range(data.consumeBoolean() ? null : small(data),
                        data.consumeBoolean() ? null : small(data), data.consumeBoolean() ? null : small(data)));
                default -> idx.add(SliceIndex.ellipsis());
            }
        }
        try {
            Tensor t = SLICE_FILE.slice(name, idx.toArray(SliceIndex[]::new));
            if (!t.dtype().isSubByte()) {
                t.toFloatArray();
            } else {
                t.data();
            }
        } catch (SafetensorsException expected) {
            // INVALID_SLICE or MISALIGNED_SUBBYTE
        }
    }

    private static long small(FuzzedDataProvider d) {
        return d.consumeBoolean() ? d.consumeLong(-12, 12) : d.consumeLong();
    }
}
