CREATE TABLE `settings_generation` (
	`id` integer PRIMARY KEY NOT NULL,
	`gen` integer NOT NULL,
	CONSTRAINT "settings_generation_one_row" CHECK("settings_generation"."id" = 1)
);
