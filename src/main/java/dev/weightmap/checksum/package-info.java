/** checksum support. */
package dev.weightmap.checksum;
