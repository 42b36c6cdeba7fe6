"""Data exchange: spreadsheet exports, Excel imports and bank payment files."""
