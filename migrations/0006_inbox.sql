-- Store, then answer, then work (issue 14): a callback is stored unprocessed and acted on by the
-- worker, which sets processed_at in the transaction that writes its effects. Rows stored
-- before this migration were acted on when stored: the default (now()) marks them processed.
ALTER TABLE "events" ADD COLUMN "processed_at" timestamp with time zone DEFAULT now();
