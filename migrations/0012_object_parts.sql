CREATE TABLE `object_parts` (
	`object_id` text NOT NULL,
	`part_number` integer NOT NULL,
	`offset` integer NOT NULL,
	`size` integer NOT NULL,
	`etag` text,
	`checksum_value` text,
	PRIMARY KEY(`object_id`, `part_number`)
);
--> statement-breakpoint
ALTER TABLE `objects` ADD `upload_id` text;