-- Deleting a bucket (or a whole service) used to leave its custom domains behind, so the names could
-- never be attached again, and their certificates with their sealed private keys. Release them now.
DELETE FROM `certificates` WHERE `hostname` NOT IN (SELECT `domains`.`hostname` FROM `domains`
  JOIN `buckets` ON `buckets`.`id` = `domains`.`bucket_id`);--> statement-breakpoint
DELETE FROM `domains` WHERE `bucket_id` NOT IN (SELECT `id` FROM `buckets`);
