"""The embedded CJK font (WenQuanYi Micro Hei, Apache-2.0) and its licence."""
