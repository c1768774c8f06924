// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;
import dev.weightmap.torch.TorchCheckpoints;
import java.nio.file.Path;
import java.util.Map;

/** The README's PyTorch checkpoint snippet, compiled. */
@SuppressWarnings("unused")
final class TorchSnippets {
    private TorchSnippets() {
    }

    static void tour(Tensor weight) throws Exception {
        // README snippet begin
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(Path.of("pytorch_model.bin"))) {
            Map<String, Tensor> sd = ckpt.stateDict();          // name -> zero-copy view, pickle order
            Tensor w = sd.get("model.embed_tokens.weight");
            TorchCheckpoint.TensorEntry e = ckpt.entries().get("lm_head.weight");
            e.storageKey(); e.fileOffset(); e.torchDtype();       // "0", absolute offset, "torch.bfloat16"
            Object root = ckpt.root();                            // the whole object graph as Java values
        }
        // nested training checkpoints: tensors are named by their path
        //   ckpt.stateDict().get("optimizer/state/0/exp_avg")

        TorchCheckpoints.save(Map.of("weight", weight, "weight_t", weight.transpose(0, 1)), Path.of("out.bin")); // atomic
        // README snippet end
    }
}
