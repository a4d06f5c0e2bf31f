"""The discussion API: comments of a question or trial, replies, edits, deletion and staff moderation."""
