-- An object's part rows go with it, whichever statement deletes the object.
CREATE TRIGGER `objects_drop_parts` AFTER DELETE ON `objects` BEGIN
  DELETE FROM `object_parts` WHERE `object_id` = OLD.`id`;
END;
--> statement-breakpoint
-- Objects completed before part rows were kept: their parts are recovered from the chunk references,
-- which completion laid out 2^24 indexes apart per part (model/multipart.ts). They are numbered 1..N by
-- position; empty parts had no chunks and are not recovered.
INSERT INTO `object_parts` (`object_id`, `part_number`, `offset`, `size`)
SELECT `owner`, ROW_NUMBER() OVER (PARTITION BY `owner` ORDER BY `idx` >> 24), MIN(`offset`), SUM(`size`)
FROM `chunk_refs`
WHERE `owner` IN (SELECT `id` FROM `objects` WHERE `parts_count` IS NOT NULL)
GROUP BY `owner`, `idx` >> 24;
