"""Performance evaluations (绩效评价) per fund, region and year."""
