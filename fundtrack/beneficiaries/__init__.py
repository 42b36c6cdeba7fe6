"""The beneficiary register (精准帮扶档案库), its review and 公示."""
