CREATE TABLE `issued_invoices` (
	`account_id` text NOT NULL,
	`month` text NOT NULL,
	`issued_at` integer NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`account_id`, `month`)
);
