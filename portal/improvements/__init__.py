"""improvements"""
