/**
 * The Parquet changelog lake: {@link io.tributary.io.lake.LakeSink} appends {@code LakeRow}s
 * partitioned by dataset, date and hour, and sends a row it cannot write to its failure output.
 * Artifact {@code tributary-io-lake}: core, Beam Parquet IO and the Hadoop classes Parquet needs.
 */
package io.tributary.io.lake;
