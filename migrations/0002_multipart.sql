CREATE TABLE `multipart_parts` (
	`upload_id` text NOT NULL,
	`part_number` integer NOT NULL,
	`owner` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text NOT NULL,
	`checksum_value` text,
	`last_modified` integer NOT NULL,
	PRIMARY KEY(`upload_id`, `part_number`)
);
--> statement-breakpoint
CREATE TABLE `multipart_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`bucket_id` text NOT NULL,
	`key` text NOT NULL,
	`initiated_at` integer NOT NULL,
	`headers` text NOT NULL,
	`checksum_algorithm` text,
	`checksum_type` text
);
--> statement-breakpoint
CREATE INDEX `multipart_uploads_listing` ON `multipart_uploads` (`bucket_id`,`key`,`id`);--> statement-breakpoint
CREATE INDEX `multipart_uploads_age` ON `multipart_uploads` (`initiated_at`);