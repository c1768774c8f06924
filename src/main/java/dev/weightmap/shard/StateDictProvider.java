// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.Tensor;

import java.util.Map;

/**
 * Anything that exposes a state dict (hub's {@code model.state_dict()}): used by {@link StateDicts#saveModel}
 * and as a destination by {@link Checkpoint#loadInto(StateDictProvider, boolean)}.
 */
@FunctionalInterface
public interface StateDictProvider {
    /**
     * The named tensors, in a stable order.
     *
     * @return the state dict
     */
    Map<String, Tensor> stateDict();
}
