// SPDX-License-Identifier: Apache-2.0
/**
 * weightmap: zero-copy safetensors, DDUF, PyTorch checkpoint and GGUF I/O over memory-mapped files.
 */
module dev.weightmap {
    requires static jdk.incubator.vector;
    requires static java.net.http;

    exports dev.weightmap;
    exports dev.weightmap.spi;
    exports dev.weightmap.tensor;
    exports dev.weightmap.safetensors;
    exports dev.weightmap.dduf;
    exports dev.weightmap.torch;
    exports dev.weightmap.shard;
    exports dev.weightmap.gguf;
    exports dev.weightmap.checksum;
    exports dev.weightmap.remote;

    uses dev.weightmap.spi.WeightsFormat;

    provides dev.weightmap.spi.WeightsFormat with
            dev.weightmap.safetensors.SafetensorsFormat,
            dev.weightmap.dduf.DdufFormat,
            dev.weightmap.torch.TorchFormat,
            dev.weightmap.shard.ShardedFormat,
            dev.weightmap.gguf.GgufFormat;
}
