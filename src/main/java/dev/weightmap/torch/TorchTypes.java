// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.tensor.DType;

import java.util.HashMap;
import java.util.Map;

/** Symbolic descriptions of torch's storage classes and dtype objects (nothing here ever runs torch code). */
final class TorchTypes {
    private TorchTypes() {
    }

    /**
     * A torch dtype.
     *
     * @param name        torch's name without the {@code torch.} prefix ({@code float32}, {@code float8_e4m3fn})
     * @param dtype       weightmap's dtype, null when weightmap cannot represent it
     * @param elementSize bytes per torch element
     * @param fp4x2       {@code float4_e2m1fn_x2}: one byte holds two F4 values
     */
    record TorchDtype(String name, DType dtype, int elementSize, boolean fp4x2) {
        String qualified() {
            return "torch." + name;
        }
    }

    /**
     * A storage class: a legacy typed class ({@code torch.FloatStorage}) or {@code UntypedStorage} (bytes).
     */
    record StorageClass(String qualifiedName, TorchDtype dtype, boolean untyped) {
    }

    static final Map<String, TorchDtype> DTYPES = new HashMap<>();
    /** Storage class by qualified name. */
    static final Map<String, StorageClass> STORAGES = new HashMap<>();
    /** torch dtype name for a weightmap dtype (writer side). */
    static final Map<DType, String> DTYPE_NAMES = new HashMap<>();
    /** Legacy storage class simple name for a weightmap dtype (writer side, v2 dtypes). */
    static final Map<DType, String> STORAGE_NAMES = new HashMap<>();

    private static void dt(DType d, int size, String... names) {
        TorchDtype t = new TorchDtype(names[0], d, size, false);
        for (String n : names) {
            DTYPES.put(n, t);
        }
        if (d != null) {
            DTYPE_NAMES.putIfAbsent(d, names[0]);
        }
    }

    private static void storage(String simple, String dtypeName) {
        TorchDtype t = DTYPES.get(dtypeName);
        STORAGES.put("torch." + simple, new StorageClass("torch." + simple, t, false));
        STORAGES.put("torch.cuda." + simple, new StorageClass("torch.cuda." + simple, t, false));
        if (t.dtype() != null) {
            STORAGE_NAMES.putIfAbsent(t.dtype(), simple);
        }
    }

    static {
        dt(DType.F32, 4, "float32", "float");
        dt(DType.F64, 8, "float64", "double");
        dt(DType.F16, 2, "float16", "half");
        dt(DType.BF16, 2, "bfloat16");
        dt(DType.I64, 8, "int64", "long");
        dt(DType.I32, 4, "int32", "int");
        dt(DType.I16, 2, "int16", "short");
        dt(DType.I8, 1, "int8");
        dt(DType.U8, 1, "uint8");
        dt(DType.BOOL, 1, "bool");
        dt(DType.C64, 8, "complex64", "cfloat");
        dt(DType.C128, 16, "complex128", "cdouble");
        dt(DType.U16, 2, "uint16");
        dt(DType.U32, 4, "uint32");
        dt(DType.U64, 8, "uint64");
        dt(DType.F8_E4M3, 1, "float8_e4m3fn");
        dt(DType.F8_E5M2, 1, "float8_e5m2");
        dt(DType.F8_E4M3FNUZ, 1, "float8_e4m3fnuz");
        dt(DType.F8_E5M2FNUZ, 1, "float8_e5m2fnuz");
        dt(DType.F8_E8M0, 1, "float8_e8m0fnu");
        DTYPES.put("float4_e2m1fn_x2", new TorchDtype("float4_e2m1fn_x2", DType.F4, 1, true));
        DTYPE_NAMES.put(DType.F4, "float4_e2m1fn_x2");
        // allowlisted by torch but not representable here
        dt(null, 4, "complex32", "chalf");
        dt(null, 1, "qint8");
        dt(null, 4, "qint32");
        dt(null, 1, "quint8");
        dt(null, 1, "quint4x2");
        dt(null, 1, "quint2x4");
        dt(null, 1, "bits8");
        dt(null, 2, "bits16");
        dt(null, 1, "bits1x8");
        dt(null, 1, "bits2x4");
        dt(null, 1, "bits4x2");
        for (int i = 1; i <= 7; i++) {
            dt(null, 1, "int" + i);
            dt(null, 1, "uint" + i);
        }

        storage("DoubleStorage", "float64");
        storage("FloatStorage", "float32");
        storage("HalfStorage", "float16");
        storage("BFloat16Storage", "bfloat16");
        storage("LongStorage", "int64");
        storage("IntStorage", "int32");
        storage("ShortStorage", "int16");
        storage("CharStorage", "int8");
        storage("ByteStorage", "uint8");
        storage("BoolStorage", "bool");
        storage("ComplexFloatStorage", "complex64");
        storage("ComplexDoubleStorage", "complex128");
        storage("QInt8Storage", "qint8");
        storage("QUInt8Storage", "quint8");
        storage("QInt32Storage", "qint32");
        storage("QUInt4x2Storage", "quint4x2");
        storage("QUInt2x4Storage", "quint2x4");
        TorchDtype u8 = DTYPES.get("uint8");
        STORAGES.put("torch.storage.UntypedStorage", new StorageClass("torch.storage.UntypedStorage", u8, true));
        STORAGES.put("torch.UntypedStorage", new StorageClass("torch.UntypedStorage", u8, true));
    }

    /** The torch dtype object for a weightmap dtype, or null (F6_*). */
    static TorchDtype forDType(DType d) {
        String n = DTYPE_NAMES.get(d);
        return n == null ? null : DTYPES.get(n);
    }
}
