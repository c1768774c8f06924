/** dduf support. */
package dev.weightmap.dduf;
