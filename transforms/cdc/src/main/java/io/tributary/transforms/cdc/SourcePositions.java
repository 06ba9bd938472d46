package io.tributary.transforms.cdc;

import io.tributary.proto.values.BinlogPosition;
import io.tributary.proto.values.PostgresPosition;
import io.tributary.proto.values.SourcePosition;
import java.util.Comparator;
import java.util.Locale;

/**
 * The total order of source positions within one source (one database server's log).
 *
 * <p>Every {@link SourcePosition} built here carries an {@code order_key}: a string whose
 * byte-wise order is the log order, so that a store without protobuf (a Redis Lua script, a SQL
 * column) can fence writes with a plain string comparison:
 *
 * <ul>
 *   <li>PostgreSQL: {@code pg:<commit_lsn as 16 hex digits>:<lsn as 16 hex digits>}, where the
 *       commit LSN is Debezium's {@code sequence[0]}: the commit LSN of the last transaction
 *       before the change's own. pgoutput streams transactions in commit order and the changes of
 *       one transaction in LSN order, so (commit LSN, LSN) orders changes totally; the first
 *       transaction after a connector's first start has none (0), and still sorts before every
 *       later one; snapshot reads have no commit LSN and sort before every streamed change. A
 *       change's own commit LSN is not available: Debezium (3.2) passes pgoutput's BEGIN message
 *       (which holds it) on to no event, and its transaction metadata names a PostgreSQL
 *       transaction by its id alone.
 *   <li>MySQL / MariaDB: {@code bl:<file base>.<file number as 10 digits>:<pos as 20 digits>:<row
 *       as 10 digits>}: binlog files are numbered in order, and rows of one event share its
 *       position.
 * </ul>
 *
 * <p>Keys of different connector kinds (prefixes {@code pg:} and {@code bl:}) are not meaningfully
 * comparable; a table is captured by one connector, so a fence never mixes them.
 */
public final class SourcePositions {
  private SourcePositions() {}

  /** Orders positions of the same source by their order key. */
  public static final Comparator<SourcePosition> ORDER =
      Comparator.comparing(SourcePosition::getOrderKey);

  /** A PostgreSQL position with its order key. */
  public static SourcePosition postgres(long lsn, long commitLsn, long txId) {
    PostgresPosition pg =
        PostgresPosition.newBuilder().setLsn(lsn).setCommitLsn(commitLsn).setTxId(txId).build();
    return SourcePosition.newBuilder()
        .setPostgres(pg)
        .setOrderKey(String.format(Locale.ROOT, "pg:%016x:%016x", commitLsn, lsn))
        .build();
  }

  /**
   * A binlog position with its order key.
   *
   * @throws IllegalArgumentException if the file name has no numeric extension or a number is
   *     negative
   */
  public static SourcePosition binlog(String file, long pos, int row, String gtid, long serverId) {
    int dot = file.lastIndexOf('.');
    String number = dot < 0 ? "" : file.substring(dot + 1);
    if (number.isEmpty() || number.length() > 10 || !number.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(
          "binlog file name '" + file + "' does not end in a numeric extension");
    }
    if (pos < 0 || row < 0) {
      throw new IllegalArgumentException(
          "binlog position must not be negative, got pos " + pos + " row " + row);
    }
    BinlogPosition binlog =
        BinlogPosition.newBuilder()
            .setFile(file)
            .setPos(pos)
            .setRow(row)
            .setGtid(gtid)
            .setServerId(serverId)
            .build();
    String key =
        String.format(
            Locale.ROOT,
            "bl:%s.%010d:%020d:%010d",
            file.substring(0, dot),
            Long.parseLong(number),
            pos,
            row);
    return SourcePosition.newBuilder().setBinlog(binlog).setOrderKey(key).build();
  }

  /** Whether {@code a} comes strictly after {@code b} in the log. */
  public static boolean isAfter(SourcePosition a, SourcePosition b) {
    return ORDER.compare(a, b) > 0;
  }
}
