"""Administrative regions (GB/T 2260): province, prefectures (市州), counties (县市区)."""
