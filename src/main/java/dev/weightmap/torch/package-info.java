/** torch support. */
package dev.weightmap.torch;
