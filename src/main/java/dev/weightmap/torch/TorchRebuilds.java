// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.PickleMachine.Global;
import dev.weightmap.torch.PickleMachine.Kind;
import dev.weightmap.torch.PickleMachine.StorageRef;
import dev.weightmap.torch.PickleMachine.TensorRef;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import dev.weightmap.torch.TorchTypes.StorageClass;
import dev.weightmap.torch.TorchTypes.TorchDtype;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the allowed globals do when a pickle calls them (REDUCE, NEWOBJ), fills them (BUILD) or names a storage
 * (a persistent id): torch's rebuild functions, {@code torch.Size} and {@code torch.device}, and the builtins
 * torch's pickles use. Each builds a plain value, a {@link StorageRef} or a {@link TensorRef}; nothing from the
 * stream is executed. One instance serves one {@link PickleMachine} run and collects its tensors, storages and
 * BUILD attributes.
 */
final class TorchRebuilds {
    private final PickleMachine machine;
    final List<TensorRef> tensors = new ArrayList<>();
    final Map<String, StorageRef> storages = new LinkedHashMap<>();
    final Map<Object, Object> attributes = new IdentityHashMap<>();

    TorchRebuilds(PickleMachine machine) {
        this.machine = machine;
    }

    private List<?> args(Object args, Global g) {
        if (args instanceof List<?> l && !(args instanceof ArrayList<?>)) {
            return l;
        }
        throw machine.invalid("arguments of " + g.qualified() + " must be a tuple, got " + PickleMachine.typeName(args));
    }

    /** REDUCE: calls the allowed global {@code callable} with the tuple {@code rawArgs}. */
    Object reduce(Object callable, Object rawArgs) {
        if (!(callable instanceof Global g)) {
            throw machine.invalid("REDUCE on a " + PickleMachine.typeName(callable) + ", not an allowed callable");
        }
        List<?> a = args(rawArgs, g);
        return switch (g.kind()) {
            case ORDERED_DICT, COUNTER -> orderedDict(g, a);
            case REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3 -> rebuildTensor(g, a);
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                if (a.size() < 2 || !(a.get(0) instanceof TensorRef t)) {
                    throw machine.invalid(g.qualified() + " needs (tensor, requires_grad, ...)");
                }
                yield t.asParameter(Boolean.TRUE.equals(a.get(1)));
            }
            case REBUILD_FROM_TYPE_V2 -> rebuildFromType(g, a);
            case SIZE -> size(a);
            case DEVICE -> {
                if (a.size() == 1 && a.get(0) instanceof String s) {
                    yield s;
                }
                if (a.size() == 2 && a.get(0) instanceof String s && a.get(1) instanceof Long i) {
                    yield s + ":" + i;
                }
                throw machine.invalid("torch.device needs (type[, index])");
            }
            case CODECS_ENCODE -> latin1(a);
            case SET -> set(a);
            case BYTEARRAY -> {
                if (a.isEmpty()) {
                    yield new byte[0];
                }
                if (a.size() == 1 && a.get(0) instanceof byte[] b) {
                    yield b.clone();
                }
                throw machine.unsupported("builtins.bytearray is only supported over bytes");
            }
            default -> throw machine.unsupported("calling the allowed global '" + g.qualified() + "' is not supported");
        };
    }

    /** {@code collections.OrderedDict} / {@code Counter} of nothing, of pairs or of a dict. */
    private PyDict orderedDict(Global g, List<?> a) {
        PyDict d = new PyDict();
        if (a.size() == 1 && a.get(0) instanceof List<?> pairs) {
            for (Object p : pairs) {
                if (!(p instanceof List<?> kv) || kv.size() != 2) {
                    throw machine.invalid(g.qualified() + " items must be pairs");
                }
                machine.put(d, kv.get(0), kv.get(1));
            }
        } else if (a.size() == 1 && a.get(0) instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                machine.put(d, e.getKey(), e.getValue());
            }
        } else if (!a.isEmpty()) {
            throw machine.invalid(g.qualified() + " called with " + a.size() + " unsupported arguments");
        }
        return d;
    }

    /** {@code torch._tensor._rebuild_from_type_v2(func, type, args, state)} of a plain tensor or parameter. */
    private TensorRef rebuildFromType(Global g, List<?> a) {
        if (a.size() != 4 || !(a.get(0) instanceof Global f) || !(a.get(1) instanceof Global type)
                || (type.kind() != Kind.TENSOR_CLASS && type.kind() != Kind.PARAMETER_CLASS)) {
            throw machine.unsupported(g.qualified() + ": only plain tensors and parameters are supported");
        }
        Object inner = reduce(f, a.get(2));
        if (!(inner instanceof TensorRef t)) {
            throw machine.unsupported(g.qualified() + ": the rebuilt object is not a tensor");
        }
        if (a.get(3) instanceof Map<?, ?> st && !st.isEmpty()) {
            throw machine.unsupported(g.qualified() + ": tensors with Python attributes are not supported");
        }
        return type.kind() == Kind.PARAMETER_CLASS ? t.asParameter(t.requiresGrad) : t;
    }

    /** {@code torch.Size(tuple of ints)} or {@code torch.Size()}: the tuple. */
    private List<?> size(List<?> a) {
        if (a.size() == 1 && a.get(0) instanceof List<?> dims && !(a.get(0) instanceof ArrayList<?>)) {
            for (Object d : dims) {
                machine.count();
                if (!(d instanceof Long)) {
                    throw machine.invalid("torch.Size needs integers");
                }
            }
            return dims;
        }
        if (a.isEmpty()) {
            return PickleMachine.tuple();
        }
        throw machine.invalid("torch.Size needs one tuple of integers");
    }

    /** {@code _codecs.encode(str, 'latin1')}: how protocol 2 pickles carry bytes. */
    private byte[] latin1(List<?> a) {
        if (a.size() == 2 && a.get(0) instanceof String s && a.get(1) instanceof String enc
                && (enc.equals("latin1") || enc.equals("latin-1") || enc.equals("iso-8859-1"))) {
            byte[] b = new byte[s.length()];
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c > 0xFF) {
                    throw machine.invalid("_codecs.encode: character outside latin1");
                }
                b[i] = (byte) c;
            }
            return b;
        }
        throw machine.unsupported("_codecs.encode is only supported as (str, 'latin1')");
    }

    /** {@code builtins.set()} or {@code builtins.set(list)}. */
    private PyDict.PySet set(List<?> a) {
        PyDict.PySet s = new PyDict.PySet();
        if (a.size() == 1 && a.get(0) instanceof List<?> items) {
            for (Object o : items) {
                machine.add(s, o);
            }
        } else if (!a.isEmpty()) {
            throw machine.invalid("builtins.set needs one iterable");
        }
        return s;
    }

    Object newObj(Object cls, Object rawArgs) {
        if (!(cls instanceof Global g)) {
            throw machine.invalid("NEWOBJ on a " + PickleMachine.typeName(cls));
        }
        List<?> a = args(rawArgs, g);
        return switch (g.kind()) {
            case ORDERED_DICT, COUNTER -> {
                if (!a.isEmpty()) {
                    throw machine.invalid("NEWOBJ " + g.qualified() + " with arguments");
                }
                yield new PyDict();
            }
            case SET -> new PyDict.PySet();
            case PARAMETER_CLASS -> {
                if (a.isEmpty() || !(a.get(0) instanceof TensorRef t)) {
                    throw machine.invalid("Parameter needs a tensor");
                }
                yield t.asParameter(a.size() < 2 || Boolean.TRUE.equals(a.get(1)));
            }
            default -> throw machine.unsupported("NEWOBJ of the allowed global '" + g.qualified() + "' is not supported");
        };
    }

    void build(Object target, Object state) {
        if (target instanceof PyDict) {
            Object dictState = state;
            if (state instanceof List<?> l && !(state instanceof ArrayList<?>) && l.size() == 2) {
                dictState = l.get(0) != null ? l.get(0) : l.get(1);
            }
            if (dictState instanceof Map<?, ?> m) {
                if (attributes.size() >= machine.limits.maxMemo()) {
                    throw machine.limit("too many BUILD attributes");
                }
                attributes.put(target, m);
                return;
            }
            if (dictState == null) {
                return;
            }
            throw machine.invalid("BUILD of a dict with a " + PickleMachine.typeName(state) + " state");
        }
        if (target instanceof TensorRef) {
            // Parameter / tensor python attributes: ignored (they never change the data)
            return;
        }
        throw machine.invalid("BUILD on a " + PickleMachine.typeName(target) + " is not allowed");
    }


    Object persistentLoad(Object pid) {
        if (!(pid instanceof List<?> t) || pid instanceof ArrayList<?> || t.isEmpty()) {
            throw machine.invalid("persistent id must be a tuple, got " + PickleMachine.typeName(pid));
        }
        Object tag = t.get(0);
        boolean isStorage = "storage".equals(tag)
                || (tag instanceof byte[] b && new String(b, StandardCharsets.ISO_8859_1).equals("storage"));
        if (!isStorage) {
            throw machine.unsupported("persistent id of kind " + (tag instanceof String s ? "'" + s + "'" : PickleMachine.typeName(tag))
                    + " is not supported (only 'storage')");
        }
        if (t.size() != 5 && t.size() != 6) {
            throw machine.invalid("storage persistent id must have 5 or 6 elements, got " + t.size());
        }
        if (!(t.get(1) instanceof Global g) || g.kind() != Kind.STORAGE) {
            throw machine.invalid("storage type must be a torch storage class, got " + PickleMachine.typeName(t.get(1)));
        }
        StorageClass type = (StorageClass) g.payload();
        String key = keyString(t.get(2));
        if (!(t.get(3) instanceof String location)) {
            throw machine.invalid("storage location must be a string, got " + PickleMachine.typeName(t.get(3)));
        }
        if (!(t.get(4) instanceof Long numel) || numel < 0) {
            throw machine.invalid("storage '" + key + "' size must be a non-negative integer, got " + t.get(4));
        }
        StorageRef root = storages.get(key);
        if (root == null) {
            if (storages.size() >= machine.limits.maxMemo()) {
                throw machine.limit("more than " + machine.limits.maxMemo() + " storages");
            }
            root = new StorageRef(key, type, location, numel, null, 0);
            storages.put(key, root);
        } else if (root.type.dtype() != type.dtype() || root.numel != numel) {
            throw machine.invalid("storage '" + key + "' is referenced as " + root.type.qualifiedName() + "[" + root.numel
                    + "] and as " + type.qualifiedName() + "[" + numel + "]");
        }
        if (t.size() == 6 && t.get(5) != null) {
            if (!(t.get(5) instanceof List<?> vm) || vm.size() != 3 || !(vm.get(1) instanceof Long off)
                    || !(vm.get(2) instanceof Long vsize) || off < 0 || vsize < 0) {
                throw machine.invalid("storage view metadata must be (key, offset, size)");
            }
            String viewKey = keyString(vm.get(0));
            if (off > numel || vsize > numel - off) {
                throw new TorchCheckpointException(Reason.INVALID_VIEW, machine.where + ": storage view '" + viewKey
                        + "' [" + off + ", " + (off + vsize) + ") lies outside storage '" + key + "' of " + numel
                        + " elements");
            }
            return new StorageRef(viewKey, type, location, vsize, key, off);
        }
        return root;
    }

    private String keyString(Object k) {
        if (k instanceof String s) {
            return s;
        }
        if (k instanceof Long || k instanceof BigInteger) {
            return k.toString();
        }
        throw machine.invalid("storage key must be a string, got " + PickleMachine.typeName(k));
    }

    private long[] dims(Object o, String what, String fn) {
        if (!(o instanceof List<?> l)) {
            throw machine.invalid(fn + ": " + what + " must be a tuple of integers, got " + PickleMachine.typeName(o));
        }
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            machine.count();
            if (!(l.get(i) instanceof Long v)) {
                throw machine.invalid(fn + ": " + what + " must be a tuple of integers");
            }
            r[i] = v;
        }
        return r;
    }

    private TensorRef rebuildTensor(Global g, List<?> a) {
        String fn = g.qualified();
        int min = switch (g.kind()) {
            case REBUILD_TENSOR -> 4;
            case REBUILD_TENSOR_V2 -> 6;
            default -> 7;
        };
        if (a.size() < min || a.size() > min + 1 || (g.kind() == Kind.REBUILD_TENSOR && a.size() != 4)) {
            throw machine.invalid(fn + " called with " + a.size() + " arguments");
        }
        if (!(a.get(0) instanceof StorageRef s)) {
            throw machine.invalid(fn + ": first argument must be a storage, got " + PickleMachine.typeName(a.get(0)));
        }
        if (!(a.get(1) instanceof Long offset)) {
            throw machine.invalid(fn + ": storage offset must be an integer, got " + PickleMachine.typeName(a.get(1)));
        }
        long[] size = dims(a.get(2), "size", fn);
        long[] stride = dims(a.get(3), "stride", fn);
        boolean grad = a.size() > 4 && Boolean.TRUE.equals(a.get(4));
        TorchDtype dtype = s.type.dtype();
        if (g.kind() == Kind.REBUILD_TENSOR_V3) {
            if (!(a.get(6) instanceof Global d) || d.kind() != Kind.DTYPE) {
                throw machine.invalid(fn + ": dtype must be a torch dtype, got " + PickleMachine.typeName(a.get(6)));
            }
            dtype = (TorchDtype) d.payload();
        } else if (s.type.untyped()) {
            throw machine.invalid(fn + ": an untyped storage needs _rebuild_tensor_v3 with a dtype");
        }
        Object meta = a.size() > min ? a.get(min) : null;
        if (meta instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (Boolean.TRUE.equals(e.getValue())) {
                    throw machine.unsupported(fn + ": tensor metadata '" + e.getKey()
                            + "' (a lazy conj/neg bit) is not supported");
                }
            }
        } else if (meta != null) {
            throw machine.invalid(fn + ": metadata must be a dict, got " + PickleMachine.typeName(meta));
        }
        if (tensors.size() >= machine.limits.maxMemo()) {
            throw machine.limit("more than " + machine.limits.maxMemo() + " tensors");
        }
        TensorRef t = new TensorRef(s, dtype, offset, size, stride, grad, false, fn);
        tensors.add(t);
        return t;
    }
}
