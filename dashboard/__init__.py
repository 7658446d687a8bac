"""The dashboard: Dash pages, figures, translations, sign-in, exports and the PDF pack."""
