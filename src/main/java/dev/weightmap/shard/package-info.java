/** shard support. */
package dev.weightmap.shard;
