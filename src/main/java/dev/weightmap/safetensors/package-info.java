/** safetensors support. */
package dev.weightmap.safetensors;
