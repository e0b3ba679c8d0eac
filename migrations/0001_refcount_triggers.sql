-- Reference counts change in the same transaction as the rows that hold the references: these
-- triggers run inside whatever statement inserts or deletes a chunk_refs row.
CREATE TRIGGER `chunk_refs_add` AFTER INSERT ON `chunk_refs` BEGIN
  INSERT INTO `chunks` (`hash`, `size`, `refcount`) VALUES (NEW.`hash`, NEW.`size`, 1)
    ON CONFLICT (`hash`) DO UPDATE SET `refcount` = `refcount` + 1, `zero_since` = NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `chunk_refs_drop` AFTER DELETE ON `chunk_refs` BEGIN
  UPDATE `chunks` SET
    `refcount` = `refcount` - 1,
    `zero_since` = CASE WHEN `refcount` = 1 THEN CAST(unixepoch('subsec') * 1000 AS INTEGER) ELSE `zero_since` END
  WHERE `hash` = OLD.`hash`;
END;
--> statement-breakpoint
CREATE TRIGGER `chunk_refs_hash_is_fixed` BEFORE UPDATE OF `hash`, `size` ON `chunk_refs` BEGIN
  SELECT RAISE(ABORT, 'chunk_refs.hash and size never change');
END;
--> statement-breakpoint
CREATE TRIGGER `objects_count_add` AFTER INSERT ON `objects` BEGIN
  UPDATE `buckets` SET `object_count` = `object_count` + 1, `byte_count` = `byte_count` + NEW.`size`
  WHERE `id` = NEW.`bucket_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `objects_count_drop` AFTER DELETE ON `objects` BEGIN
  UPDATE `buckets` SET `object_count` = `object_count` - 1, `byte_count` = `byte_count` - OLD.`size`
  WHERE `id` = OLD.`bucket_id`;
END;
