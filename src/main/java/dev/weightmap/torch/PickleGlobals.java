// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.PickleMachine.Global;
import dev.weightmap.torch.PickleMachine.Kind;
import dev.weightmap.torch.TorchTypes.StorageClass;
import dev.weightmap.torch.TorchTypes.TorchDtype;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The allowlist of globals a pickle may name: torch's {@code weights_only} set of tensor-rebuilding functions,
 * storage classes, dtypes and the few builtins they need. A name resolves to a {@link Global} descriptor (what
 * {@link TorchRebuilds} does with it when it is called), never to code.
 */
final class PickleGlobals {
    private static final Map<String, Global> ALLOWED = new HashMap<>();

    private PickleGlobals() {
    }

    private static void allow(String qualified, Kind kind, Object payload) {
        int dot = qualified.lastIndexOf('.');
        ALLOWED.put(qualified, new Global(qualified.substring(0, dot), qualified.substring(dot + 1), kind, payload));
    }

    static {
        allow("collections.OrderedDict", Kind.ORDERED_DICT, null);
        allow("collections.Counter", Kind.COUNTER, null);
        allow("torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR, null);
        allow("torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2, null);
        allow("torch._utils._rebuild_tensor_v3", Kind.REBUILD_TENSOR_V3, null);
        allow("torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER, null);
        allow("torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE, null);
        allow("torch._tensor._rebuild_from_type_v2", Kind.REBUILD_FROM_TYPE_V2, null);
        for (String other : List.of("_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_nested_tensor",
                "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
                "_rebuild_device_tensor_from_cpu_tensor", "_rebuild_device_tensor_from_numpy",
                "_rebuild_sparse_csr_tensor")) {
            allow("torch._utils." + other, Kind.OTHER, null);
        }
        for (Map.Entry<String, StorageClass> e : TorchTypes.STORAGES.entrySet()) {
            allow(e.getKey(), Kind.STORAGE, e.getValue());
        }
        allow("torch.storage.TypedStorage", Kind.OTHER, null);
        for (Map.Entry<String, TorchDtype> e : TorchTypes.DTYPES.entrySet()) {
            allow("torch." + e.getKey(), Kind.DTYPE, e.getValue());
        }
        allow("torch.Size", Kind.SIZE, null);
        allow("torch.device", Kind.DEVICE, null);
        allow("torch.Tensor", Kind.TENSOR_CLASS, null);
        allow("torch.nn.parameter.Parameter", Kind.PARAMETER_CLASS, null);
        allow("torch.serialization._get_layout", Kind.OTHER, null);
        allow("_codecs.encode", Kind.CODECS_ENCODE, null);
        allow("builtins.set", Kind.SET, null);
        allow("builtins.bytearray", Kind.BYTEARRAY, null);
        allow("builtins.complex", Kind.OTHER, null);
        for (String q : List.of("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                "per_channel_symmetric", "per_channel_affine_float_qparams")) {
            allow("torch." + q, Kind.OTHER, null);
        }
        for (String t : List.of("Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte",
                "Bool")) {
            allow("torch." + t + "Tensor", Kind.OTHER, null);
            allow("torch.cuda." + t + "Tensor", Kind.OTHER, null);
        }
    }

    /**
     * The qualified name {@code module.name}, with Python 2 module names remapped as pickle's
     * {@code IMPORT_MAPPING} remaps them.
     */
    static String qualified(String module, String name) {
        String m = switch (module) {
            case "__builtin__", "exceptions" -> "builtins";
            case "copy_reg" -> "copyreg";
            case "commands" -> "subprocess";
            case "cPickle" -> "pickle";
            case "UserDict", "UserList" -> "collections";
            default -> module;
        };
        return m + "." + name;
    }

    /** The descriptor of an allowed global, or null when {@code qualified} is not allowed. */
    static Global lookup(String qualified) {
        return ALLOWED.get(qualified);
    }
}
