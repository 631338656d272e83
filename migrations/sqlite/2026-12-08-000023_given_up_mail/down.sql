-- Lossy: which stopped mail had been given up is not kept. Stopped mail stays stopped.
SELECT 1;
