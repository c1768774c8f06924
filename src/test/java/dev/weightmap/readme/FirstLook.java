// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

// README snippet begin
import dev.weightmap.Weights;
import dev.weightmap.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;

public class FirstLook {
    public static void main(String[] args) throws Exception {
        try (Weights model = Weights.open(Path.of(args[0]))) {   // .safetensors, .dduf, .bin/.pt, a sharded folder
            System.out.println(model.format() + ": " + model.tensorNames());
            Tensor w = model.tensor(args[1]);                     // a zero-copy view of the mapped file
            System.out.println(w.dtype() + " " + Arrays.toString(w.shape()));
            System.out.println(w.getFloat(0, 0));                 // one element, decoded to float (BF16, F16, F8, ...)
            float[] all = w.toFloatArray();                       // an explicit copy of every element
        }
    }
}
// README snippet end
